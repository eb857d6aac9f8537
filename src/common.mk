# Shared compiler settings for every user-space program.
# Dynamic builds go to build/bin, static ones (STATIC=1, for the QEMU
# initramfs) to build/bin-static, each with its own object folder.
ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
ifeq ($(STATIC),1)
FLAVOUR := static
LDFLAGS += -static
BINDIR  ?= $(ROOT)/build/bin-static
else
FLAVOUR := dynamic
BINDIR  ?= $(ROOT)/build/bin
endif
OBJDIR  ?= $(ROOT)/build/obj-$(FLAVOUR)/$(notdir $(CURDIR))
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -MMD -MP
LDLIBS  += -lpthread

# src/lib: helpers shared by the programs, built per program and flavour
# into $(OBJDIR)/lib/libcg.a and linked after the program's own objects.
.DEFAULT_GOAL := all
CPPFLAGS  += -I$(ROOT)/src/lib
LIB_SRCS  := $(wildcard $(ROOT)/src/lib/*.c)
LIB_OBJS  := $(LIB_SRCS:$(ROOT)/src/lib/%.c=$(OBJDIR)/lib/%.o)
LIB_A     := $(OBJDIR)/lib/libcg.a

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(OBJDIR)/lib/%.o: $(ROOT)/src/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

-include $(LIB_OBJS:.o=.d)
