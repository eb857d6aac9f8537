# User-space programs of collapse-guard. Binaries land in build/bin.
# `make STATIC=1` links them statically for the QEMU initramfs.
SUBDIRS := src/checker src/model src/bench src/race src/stress src/pager

.PHONY: all clean $(SUBDIRS)
all: $(SUBDIRS)

$(SUBDIRS):
	$(MAKE) -C $@

clean:
	for d in $(SUBDIRS); do $(MAKE) -C $$d clean || exit 1; done
	rm -rf build/bin build/bin-static build/obj-*
