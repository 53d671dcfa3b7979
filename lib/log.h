/* SPDX-License-Identifier: GPL-2.0 */
/* Logging for every Keel program: one line per message, to stderr, prefixed by the program. */
#ifndef KEEL_LIB_LOG_H
#define KEEL_LIB_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The prefix of every message ("keel-vmm") and the most verbose level printed. */
void log_init(const char *program, enum log_level max_level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
