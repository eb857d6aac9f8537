# Shared compiler settings for every user-space program.
ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BINDIR  ?= $(ROOT)/build/bin
OBJDIR  ?= $(ROOT)/build/obj/$(notdir $(CURDIR))
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -MMD -MP
LDLIBS  += -lpthread
ifeq ($(STATIC),1)
LDFLAGS += -static
endif
