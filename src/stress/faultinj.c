#include "faultinj.h"
#include <stdio.h>
int run_faultinj(const struct options *o) { (void)o; fprintf(stderr, "todo\n"); return 2; }
