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
