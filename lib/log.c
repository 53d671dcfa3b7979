// SPDX-License-Identifier: GPL-2.0
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Set once at start-up, before any thread exists; read-only afterwards. */
static const char *log_program = "keel";
static enum log_level log_max_level = LOG_INFO;

void log_init(const char *program, enum log_level max_level)
{
	log_program = program;
	log_max_level = max_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefixes[] = {
		[LOG_ERROR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};
	char line[1024];
	va_list ap;
	int n;

	if (level > log_max_level)
		return;
	n = snprintf(line, sizeof(line), "%s: %s", log_program, prefixes[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One write per message, so lines from several threads do not interleave; a raw-mode
	 * terminal (a guest console on stdio) needs the carriage return. */
	fprintf(stderr, isatty(STDERR_FILENO) ? "%s\r\n" : "%s\n", line);
}
