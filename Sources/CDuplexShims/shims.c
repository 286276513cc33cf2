#include "CDuplexShims.h"
int CDuplexShims_placeholder(void) { return 0; }
