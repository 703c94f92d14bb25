// The zstd library's streaming API.
#ifndef BGPO_CZSTD_SHIM_H
#define BGPO_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
