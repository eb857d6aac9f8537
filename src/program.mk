# The rules of one program: its Makefile sets PROG_NAME (and, if not every
# *.c of its folder, PROG_SRCS), then includes this file. The program links
# its own objects, then src/lib's archive (common.mk).
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

PROG      := $(BINDIR)/$(PROG_NAME)
PROG_SRCS ?= $(wildcard *.c)
PROG_OBJS := $(PROG_SRCS:%.c=$(OBJDIR)/%.o)

.PHONY: all clean
all: $(PROG)

$(PROG): $(PROG_OBJS) $(LIB_A) | $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $(PROG_OBJS) $(LIB_A) $(LDLIBS)

$(OBJDIR)/%.o: %.c | $(OBJDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BINDIR) $(OBJDIR):
	mkdir -p $@

clean:
	rm -rf $(OBJDIR) $(PROG)

-include $(PROG_OBJS:.o=.d)
