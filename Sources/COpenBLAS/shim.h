// OpenBLAS's CBLAS interface plus its threading and core-type queries.
#ifndef BGPO_COPENBLAS_SHIM_H
#define BGPO_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
