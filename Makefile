# SPDX-License-Identifier: GPL-2.0
# Keel: userspace programs into build/, keel.ko into kmod/, tests through test/run.
#
#   make            build every userspace program into build/
#   make kmod       build kmod/keel.ko against KDIR (the test host kernel's headers)
#   make check      install what is missing, build, run the test suite
#   make check-full the longer suites too
#   make demo       install what is missing, build, boot the demo VM with its console
#   make deps       install the Debian packages of scripts/packages.txt that are missing

BUILD   ?= build
# make V=1 shows the commands.
Q := $(if $(V),,@)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
CC      ?= gcc
CFLAGS  ?= -O2 -g
LDLIBS  := -lpthread -luring $(shell pkg-config --libs json-c 2>/dev/null)
XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS += -I. $(shell pkg-config --cflags libxml-2.0 2>/dev/null) -D_GNU_SOURCE -DKEEL_VERSION='"$(VERSION)"'
BASE_CFLAGS := -std=gnu11 $(WARN) -MMD -MP -fno-strict-aliasing
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRCS  := $(wildcard lib/*.c)
VDEV_SRCS := $(wildcard vdevices/*.c)
VMM_SRCS  := $(filter-out vmm/main.c,$(wildcard vmm/*.c))
UNIT_SRCS := $(wildcard test/unit/*.c)
# virtkeeld: everything but its main() is linked into the unit tests and fuzzers too.
DAEMON_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
# keel.ko's instruction emulator and page walker, plain C that userspace tests and fuzzes too.
KX86_SRCS := $(wildcard kmod/x86/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
san = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS := $(wildcard test/fuzz/*_fuzz.c)
FUZZERS := $(patsubst test/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

PROGRAMS := $(BUILD)/keel-vmm $(if $(wildcard daemon/main.c),$(BUILD)/virtkeeld)
TEST_PROGRAMS := $(BUILD)/test/unit-tests $(BUILD)/test/kvm-realmode $(BUILD)/test/keel-version \
	$(BUILD)/test/keel-micro $(BUILD)/test/kvm-micro $(BUILD)/test/keel-ioctl

.PHONY: fuzz all kmod check check-full demo deps clean kmod-clean install
all: $(PROGRAMS) $(TEST_PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC/SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/keel-vmm: $(call obj,vmm/main.c $(VMM_SRCS) $(VDEV_SRCS) $(LIB_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/virtkeeld: $(call obj,daemon/main.c $(DAEMON_SRCS) $(LIB_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(XML_LIBS)

$(BUILD)/test/unit-tests: $(call san,$(UNIT_SRCS) $(VMM_SRCS) $(VDEV_SRCS) $(LIB_SRCS) $(KX86_SRCS) $(DAEMON_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ -o $@ $(LDLIBS) $(XML_LIBS)

$(BUILD)/test/kvm-realmode: $(call obj,test/integration/kvm_realmode.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@
$(BUILD)/test/kvm-micro: test/integration/keel_micro.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) -DUSE_KVM $< -o $@
$(BUILD)/test/keel-ioctl: $(call obj,test/integration/keel_ioctl.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@
$(BUILD)/test/keel-micro: $(call obj,test/integration/keel_micro.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@
$(BUILD)/test/keel-version: $(call obj,test/integration/keel_version.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $^ -o $@

# libFuzzer targets, one per parser of untrusted bytes (test/fuzz/*_fuzz.c).
fuzz: $(FUZZERS)
# One compiler run per target: every header is a prerequisite.
FUZZ_HDRS := $(wildcard lib/*.h vdevices/*.h vmm/*.h test/unit/*.h kmod/x86/*.h daemon/*.h)
$(BUILD)/fuzz/%: test/fuzz/%.c $(VMM_SRCS) $(VDEV_SRCS) $(LIB_SRCS) $(KX86_SRCS) $(DAEMON_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter $(FUZZ_FLAGS) \
		$< $(VMM_SRCS) $(VDEV_SRCS) $(LIB_SRCS) $(KX86_SRCS) $(DAEMON_SRCS) -o $@ $(LDLIBS) $(XML_LIBS)

# keel.ko is built against the headers of the test host's kernel unless KDIR says otherwise.
KVER = $(shell scripts/testhost kver)
KDIR ?= /usr/src/linux-headers-$(KVER)
kmod:
	@test -d "$(KDIR)" || { echo "installing the headers for $(KVER)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-headers-$(KVER) >/dev/null; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

kmod-clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean

deps:
	@scripts/install-deps

check: deps
	$(MAKE) all fuzz
	$(MAKE) kmod
	test/run

check-full: deps
	$(MAKE) all fuzz
	$(MAKE) kmod
	test/run --full

demo: deps
	$(MAKE) all
	scripts/demo

# make install [PREFIX=/usr/local] [DESTDIR=]: virtkeeld, keel-vmm and virtkeeld's systemd
# units (then: systemctl daemon-reload; systemctl enable --now virtkeeld.socket).
PREFIX ?= /usr/local
SYSTEMD_DIR ?= /etc/systemd/system
install: $(BUILD)/keel-vmm $(BUILD)/virtkeeld
	install -D -m 0755 $(BUILD)/virtkeeld $(DESTDIR)$(PREFIX)/sbin/virtkeeld
	install -D -m 0755 $(BUILD)/keel-vmm $(DESTDIR)$(PREFIX)/libexec/keel/keel-vmm
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/keel/README.md
	for u in virtkeeld.service virtkeeld.socket virtkeeld-ro.socket; do \
		sed 's|@PREFIX@|$(PREFIX)|g' daemon/systemd/$$u > $(BUILD)/$$u && \
		install -D -m 0644 $(BUILD)/$$u $(DESTDIR)$(SYSTEMD_DIR)/$$u || exit 1; \
	done

clean:
	rm -rf $(BUILD)
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/modules.order \
		kmod/x86/*.o kmod/x86/.*.cmd \
		Module.symvers modules.order .*.cmd

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
