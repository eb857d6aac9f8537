#define _GNU_SOURCE
#include "util.h"

bool verbose;
const char cg_prog_name[] = "collapse-race";
