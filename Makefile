# vmreclaim: GNU Make build.
#
#   make            everything in build/ (the host tool needs libjansson-dev)
#   make guest      only the static guest binaries (musl)
#   make demo       the main job: a VM that gives its memory back, plotted
#   make test       the quick loop: unit, sanitizer and black-box tests in
#                   parallel; installs nothing, boots no VM (about 1 minute)
#   make check      install missing packages, build, run every test
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (docs/fuzzing.md)
#   make install-guest / install-host / install    PREFIX=/usr/local DESTDIR=
#   make deb        the guest side as a Debian package, in build/deb/
#
# Four builds of the one library (everything but main()):
#   build/static/  musl, -static -Os: vmreclaimd and vmreclaimctl for guests
#   build/host/    the system compiler (glibc): unit tests, host tools
#   build/asan/    the same with AddressSanitizer + UBSan: unit tests again
#   build/fuzz/    clang with libFuzzer, ASan and UBSan: the fuzzers

.SECONDEXPANSION:

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/vmreclaim

CC         ?= cc
STATIC_CC  ?= musl-gcc
WERROR     ?= 1

WARNINGS := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wconversion -Wshadow -Wpointer-arith -Wundef -Wvla -Wwrite-strings \
	-Wmissing-declarations -Wno-sign-conversion
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

CPPFLAGS_ALL := -Isrc -D_GNU_SOURCE -MMD -MP
CFLAGS_ALL   := -std=c11 $(WARNINGS) -fno-common
# inih's static library where the compiler finds it: /usr/lib/<multiarch>/
# on Debian (x86_64-linux-gnu, aarch64-linux-gnu, ...), none hard-coded.
# Without libinih-dev the compiler echoes the bare name back.
INIH_LIB     ?= $(shell $(CC) -print-file-name=libinih.a 2>/dev/null)
INIH_H       ?= /usr/include/ini.h

LIB_SRCS := $(wildcard src/common/*.c) $(wildcard src/procfs/*.c) \
	$(filter-out src/guest/vmreclaimd.c src/guest/vmreclaimctl.c,$(wildcard src/guest/*.c))
# The host side (QEMU, QMP, top, plot) is only in the host builds: it
# needs jansson, which the static guest binaries do without.
HOST_LIB_SRCS := $(LIB_SRCS) $(filter-out src/host/vmreclaim.c,$(wildcard src/host/*.c))
BIN_NAMES := vmreclaimd vmreclaimctl
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_HELPERS := tests/unit/helpers.c
TEST_NAMES := $(patsubst tests/unit/%.c,%,$(TEST_SRCS))

# --- static guest build (musl) -------------------------------------------
S := build/static
S_CFLAGS := $(CFLAGS_ALL) -Os -ffunction-sections -fdata-sections -I$(S)/include
S_LDFLAGS := -static -Wl,--gc-sections -s
S_OBJS := $(patsubst src/%.c,$(S)/%.o,$(LIB_SRCS))

all: guest build/vmreclaim

# What a guest needs: static, no runtime dependencies.
guest: $(addprefix build/,$(BIN_NAMES)) build/vrload build/wslpeer

# musl-gcc searches only musl's headers; give it inih's and nothing else
# from /usr/include.
$(S)/include/ini.h: $(INIH_H)
	@mkdir -p $(dir $@)
	cp $< $@

# What is missing, said by name instead of make's "No rule to make target".
$(INIH_H):
	@echo "make: $@ missing: install libinih-dev (scripts/deps.sh, or apt-get install libinih-dev)" >&2; exit 1
ifneq ($(INIH_LIB),$(notdir $(INIH_LIB)))
$(INIH_LIB):
	@echo "make: $@ missing: install libinih-dev" >&2; exit 1
else
.PHONY: $(INIH_LIB)
$(INIH_LIB):
	@echo "make: $(CC) finds no libinih.a: install libinih-dev (scripts/deps.sh; for a cross build, libinih-dev:ARCH)" >&2; exit 1
endif

$(S)/%.o: src/%.c $(S)/include/ini.h
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(CPPFLAGS_ALL) $(S_CFLAGS) -c $< -o $@

$(S)/libvmreclaim.a: $(S_OBJS)
	rm -f $@ && ar rcs $@ $^

build/vmreclaimd build/vmreclaimctl: build/%: $(S)/guest/%.o $(S)/libvmreclaim.a $(INIH_LIB)
	$(STATIC_CC) $(S_LDFLAGS) $^ -o $@

# --- dynamic guest build (the Debian package, debian/rules) ---------------
# The same two programs linked against the distribution's libc and libinih
# (debian/control says why); CFLAGS, CPPFLAGS and LDFLAGS come from
# dpkg-buildflags there.  No jansson: the host side is not in it.
D := build/dyn
$(D)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) -O2 $(CFLAGS) -c $< -o $@
$(D)/libvmreclaim.a: $(patsubst %.c,$(D)/%.o,$(LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
$(D)/vmreclaimd $(D)/vmreclaimctl: $(D)/%: $(D)/src/guest/%.o $(D)/libvmreclaim.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -linih -o $@
guest-dynamic: $(D)/vmreclaimd $(D)/vmreclaimctl

# The Debian package of the guest side, built from a copy of the tracked
# files in build/deb/ (dpkg-buildpackage writes its results next to the
# source tree): build/deb/vmreclaimd_VERSION_ARCH.deb.  DEB_ARGS for
# dpkg-buildpackage (e.g. -a arm64).
# The tracked files in a git checkout, else every file but build/.
DEB_LS := $(if $(wildcard .git),git ls-files -z,find . -path ./build -prune -o -path ./.git -prune -o -type f -printf '%P\0')
DEB_EXCLUDE := '^tests/\|^bench/\|^image/'
DEB_INPUTS := $(shell $(DEB_LS) 2>/dev/null | tr '\0' '\n' | grep -v $(DEB_EXCLUDE))
build/deb/stamp: $(DEB_INPUTS)
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb: install dpkg-dev and debhelper (scripts/deps.sh)" >&2; exit 1; }
	rm -rf build/deb && mkdir -p build/deb/src
	$(DEB_LS) | grep -zv $(DEB_EXCLUDE) | xargs -0 cp --parents -t build/deb/src
	cd build/deb/src && dpkg-buildpackage -b -us -uc $(DEB_ARGS) >../build.log 2>&1 || \
		{ tail -n 30 ../build.log >&2; exit 1; }
	touch $@
deb: build/deb/stamp
	@ls build/deb/*.deb
.PHONY: guest-dynamic deb

# The guest workload tool (for the image, the demo and the benchmark).
build/vrload: $(S)/workload/vrload.o $(S)/libvmreclaim.a
	$(STATIC_CC) $(S_LDFLAGS) $^ -o $@

# The benchmark's peers (bench/peers/): fixtures run in the guest.
$(S)/bench/%.o: bench/%.c $(S)/include/ini.h
	@mkdir -p $(dir $@)
	$(STATIC_CC) $(CPPFLAGS_ALL) $(S_CFLAGS) -c $< -o $@
build/wslpeer: $(S)/bench/peers/wslpeer.o $(S)/bench/peers/wsl_policy.o $(S)/libvmreclaim.a
	$(STATIC_CC) $(S_LDFLAGS) $^ -o $@

# --- host and sanitizer builds (unit tests) ------------------------------
H := build/host
A := build/asan
H_CFLAGS := $(CFLAGS_ALL) -O2 -g
A_CFLAGS := $(CFLAGS_ALL) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
TEST_CFLAGS = -Wno-missing-prototypes -Wno-missing-declarations

$(H)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(H_CFLAGS) $(if $(filter tests/%,$<),$(TEST_CFLAGS)) -c $< -o $@

$(A)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(A_CFLAGS) $(if $(filter tests/%,$<),$(TEST_CFLAGS)) -c $< -o $@

$(H)/libvmreclaim.a: $(patsubst %.c,$(H)/%.o,$(HOST_LIB_SRCS))
	rm -f $@ && ar rcs $@ $^
$(A)/libvmreclaim.a: $(patsubst %.c,$(A)/%.o,$(HOST_LIB_SRCS))
	rm -f $@ && ar rcs $@ $^

# libvirt (libvirt-dev): the libvirt backend of the host tool (hv_libvirt.c).
HOST_LIBS := -ljansson -linih -lvirt -lm
LIBVIRT_H ?= /usr/include/libvirt/libvirt.h
$(LIBVIRT_H):
	@echo "make: $@ missing: install libvirt-dev (scripts/deps.sh, or apt-get install libvirt-dev)" >&2; exit 1
$(foreach b,build/host/src build/asan/src build/fuzz/obj/src,$(b)/host/hv_libvirt.o $(b)/host/lvxml.o): $(LIBVIRT_H)

# The peers' decisions are tested like the product's.
PEER_OBJS = $(if $(filter test_peers,$*),$(1)/bench/peers/wsl_policy.o)

$(H)/tests/%: $(H)/tests/unit/%.o $(H)/tests/unit/helpers.o $(H)/libvmreclaim.a $$(call PEER_OBJS,$(H))
	@mkdir -p $(dir $@)
	$(CC) $^ -lcmocka $(HOST_LIBS) -o $@
$(A)/tests/%: $(A)/tests/unit/%.o $(A)/tests/unit/helpers.o $(A)/libvmreclaim.a $$(call PEER_OBJS,$(A))
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=address,undefined $^ -lcmocka $(HOST_LIBS) -o $@

# The host tool.
build/vmreclaim: $(H)/src/host/vmreclaim.o $(H)/libvmreclaim.a
	$(CC) $^ $(HOST_LIBS) -o $@

# Host-built guest binaries, for valgrind.
$(H)/bin/%: $(H)/src/guest/%.o $(H)/libvmreclaim.a
	@mkdir -p $(dir $@)
	$(CC) $^ $(HOST_LIBS) -o $@

# The black-box tests' own helpers (tests/blackbox/*.c): the host's end of
# the guest channel on a pty, for tests/blackbox/channel.sh; and a QEMU
# that misbehaves on request, for tests/blackbox/host-faults.sh, named like
# QEMU so that "vmreclaim run" finds it first on the PATH.
$(H)/blackbox/%: $(H)/tests/blackbox/%.o
	@mkdir -p $(dir $@)
	$(CC) $^ -o $@

FAKE_QEMU := $(H)/fake-qemu/qemu-system-x86_64
$(FAKE_QEMU): $(H)/tests/blackbox/fake_qemu.o
	@mkdir -p $(dir $@)
	$(CC) $^ -pthread -o $@

blackbox-helpers: $(H)/blackbox/ptypeer $(FAKE_QEMU)

unit-tests: $(addprefix $(H)/tests/,$(TEST_NAMES))
asan-tests: $(addprefix $(A)/tests/,$(TEST_NAMES))

# --- fuzzing (libFuzzer; docs/fuzzing.md) ------------------------------------
# The library is built again with clang so that libFuzzer sees its
# coverage; each tests/fuzz/fuzz_T.c is one target, build/fuzz/fuzz_T.
# `make fuzz` runs each for FUZZ_SECONDS on a copy of its seeds
# (tests/fuzz/corpus/T) in build/fuzz/corpus-T; `make fuzz-smoke` for
# FUZZ_SMOKE_SECONDS (what scripts/run-tests.sh does).
F := build/fuzz
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
F_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
F_CFLAGS := $(CFLAGS_ALL) -g -O1 -fno-omit-frame-pointer $(F_SAN)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZERS := $(addprefix $(F)/fuzz_,$(FUZZ_NAMES))

$(F)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) $(F_CFLAGS) -fsanitize=fuzzer-no-link \
		$(if $(filter tests/%,$<),$(TEST_CFLAGS) -Itests/fuzz \
		-DVR_FUZZ_FIXTURES='"$(CURDIR)/tests/unit/fixtures"') -c $< -o $@

$(F)/libvmreclaim.a: $(patsubst %.c,$(F)/obj/%.o,$(HOST_LIB_SRCS))
	rm -f $@ && ar rcs $@ $^

$(F)/fuzz_%: $(F)/obj/tests/fuzz/fuzz_%.o $(F)/libvmreclaim.a
	$(FUZZ_CC) -fsanitize=fuzzer $(F_SAN) $^ $(HOST_LIBS) -o $@

fuzzers: $(FUZZERS)

fuzz: $(FUZZERS)
	@scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZERS)
	@scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

# --- the guest image ---------------------------------------------------------
# Rebuilt when our binaries, the init or the workloads change; the kernel
# is the one linux-image-amd64 installs (scripts/mkimage.sh), its image in
# build/image/KVER/ and copied to build/image/.  `make image KVER=6.12`
# also builds that kernel's image, in build/image/6.12.../.
IMAGE_INPUTS := build/vmreclaimd build/vmreclaimctl build/vrload build/wslpeer image/init \
	$(wildcard image/workloads/*.sh) scripts/mkimage.sh
build/image/initrd.img: $(IMAGE_INPUTS)
	KVER= scripts/mkimage.sh
build/image/data-400.img: scripts/mkdata.sh
	scripts/mkdata.sh 400 $@

# The minimal kernel's image too, once that kernel is built: run boots it
# by default, and it must not keep the binaries of before.
image: build/image/initrd.img
	@if [ -n "$(KVER)" ]; then scripts/mkimage.sh --kernel "$(KVER)"; fi
	@if [ -s build/kernel/bzImage ]; then $(MAKE) --no-print-directory build/image/minimal/initrd.img; fi
data: build/image/data-400.img

# The minimal guest kernel (kernel/vmreclaim.config, scripts/mkkernel.sh:
# about 8 min on 2 cores the first time, seconds after) and its image in
# build/image/minimal/.
kernel: $(IMAGE_INPUTS)
	@scripts/mkkernel.sh
	@$(MAKE) --no-print-directory build/image/minimal/initrd.img
build/image/minimal/initrd.img: build/kernel/bzImage $(IMAGE_INPUTS)
	scripts/mkimage.sh --minimal

# --- the main job and the checks ---------------------------------------------
deps:
	@scripts/deps.sh

# The README's first command: boot a VM, run a workload, show the host
# memory rising and falling back, and draw it.
demo:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all image data
	@scripts/demo.sh

# Every scenario under every configuration, REPEATS times (default 3), on
# the guest kernels in KERNELS (default: linux-image-amd64's); BENCH_DEFAULTS=1
# for the shipped settings in real time; SCENARIOS, CONFIGS to choose;
# BENCH_ARGS for scripts/bench.sh's other options.  See the README for how
# long each takes on 2 cores under TCG.
REPEATS ?= 3
KERNELS ?= default
bench:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all image
	@REPEATS="$(REPEATS)" KERNELS="$(KERNELS)" scripts/bench.sh $(BENCH_ARGS)

# The quick loop (README, "Tests"): the hermetic layers only, in parallel;
# what is missing is said, not installed; no VM, no fuzzer, no valgrind.
# The guest image is built (2 s here): host.sh's command-line cases need
# one on disk, though none boots.
# TEST_BUILD_JOBS: parallel compiles for its build (the cores here).
TEST_BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
test:
	@scripts/deps.sh --test
	@$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) all unit-tests asan-tests blackbox-helpers image
	@scripts/run-tests.sh --fast

# The full suite, what CI runs.  deps first, on its own: the build needs what
# it installs.
check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all unit-tests asan-tests blackbox-helpers fuzzers image data kernel
	@scripts/run-tests.sh

# --- install ----------------------------------------------------------------
# Inside a VM: the guest binaries and what runs them.  vmreclaimctl goes to
# BINDIR: users run it to read the status (/usr/local/sbin is not in a
# Debian user's PATH).  GUEST_BIN: where the binaries come from (build,
# the static ones; build/dyn for the package).
GUEST_BIN ?= build
install-guest: $(if $(filter build,$(GUEST_BIN)),guest,guest-dynamic)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 0755 $(GUEST_BIN)/vmreclaimd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(GUEST_BIN)/vmreclaimctl $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/vmreclaimd.8 docs/vmreclaimctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/vmreclaim.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' packaging/vmreclaimd.service.in > $(DESTDIR)$(UNITDIR)/vmreclaimd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vmreclaimd.service
	install -m 0644 packaging/vmreclaim.conf $(DESTDIR)$(DOCDIR)/vmreclaim.conf.sample
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/vmreclaim.conf ]; then \
		install -m 0644 packaging/vmreclaim.conf $(DESTDIR)$(SYSCONFDIR)/vmreclaim.conf; \
	else echo "keeping $(DESTDIR)$(SYSCONFDIR)/vmreclaim.conf"; fi

# On the host: the vmreclaim tool and, when built ("make image"), the guest
# image it boots, in $(LIBDIR)/vmreclaim/image where the tool looks.
install-host: build/vmreclaim
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 build/vmreclaim $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/vmreclaim.1 $(DESTDIR)$(MANDIR)/man1/
	@if [ -e build/image/initrd.img ]; then \
		install -d $(DESTDIR)$(LIBDIR)/vmreclaim/image && \
		install -m 0644 build/image/initrd.img build/image/vmlinuz build/image/kernel-version \
			$(DESTDIR)$(LIBDIR)/vmreclaim/image/; \
	else echo "no guest image built (make image): vmreclaim run will need --image"; fi

install: install-guest install-host

# A running service is stopped and disabled first (on this system only:
# not for a DESTDIR, nor without systemd), so that neither the daemon nor a
# dangling multi-user.target.wants link stays behind.  vmreclaimctl goes
# from SBINDIR too, where earlier installs put it.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null && \
		systemctl cat vmreclaimd.service >/dev/null 2>&1; then \
		echo "systemctl disable --now vmreclaimd"; \
		systemctl disable --now vmreclaimd.service; \
	fi
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(BIN_NAMES)) $(DESTDIR)$(BINDIR)/vmreclaimctl \
		$(DESTDIR)$(BINDIR)/vmreclaim \
		$(DESTDIR)$(MANDIR)/man8/vmreclaimd.8 $(DESTDIR)$(MANDIR)/man8/vmreclaimctl.8 \
		$(DESTDIR)$(MANDIR)/man5/vmreclaim.conf.5 $(DESTDIR)$(UNITDIR)/vmreclaimd.service \
		$(DESTDIR)$(MANDIR)/man1/vmreclaim.1 \
		$(DESTDIR)$(DOCDIR)/vmreclaim.conf.sample
	rm -rf $(DESTDIR)$(LIBDIR)/vmreclaim
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then \
		systemctl daemon-reload; fi

clean:
	rm -rf build

# The Debian 12 guest of tests/e2e/distro.sh (scripts/mkdistro.sh, from
# Debian's archive: 20-45 s here; kept until the script changes).
build/distro/rootfs.tar: scripts/mkdistro.sh
	scripts/mkdistro.sh rootfs $@
distro-rootfs: build/distro/rootfs.tar
# The distribution test on Debian's 6.12 kernel (make check runs it on 6.1).
check-distro-6.12:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@DISTRO_KERNEL=6.12 sh tests/e2e/distro.sh
.PHONY: distro-rootfs check-distro-6.12

.PHONY: all guest test check bench deps demo image data kernel install install-guest install-host uninstall clean unit-tests asan-tests blackbox-helpers \
	fuzzers fuzz fuzz-smoke
.SECONDARY:

# (build/kernel/ is the guest kernel's tree: its .d files are not ours.)
-include $(shell find build -path build/kernel -prune -o -name '*.d' -type f -print 2>/dev/null)
