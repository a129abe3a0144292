#ifndef TRELLIS_CHIREDIS_SHIM_H
#define TRELLIS_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
