// Open MPI's handles are macros that Swift cannot import; these functions expose them.
#ifndef BGPO_CMPI_SHIM_H
#define BGPO_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm bgpo_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype bgpo_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype bgpo_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype bgpo_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype bgpo_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype bgpo_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype bgpo_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op bgpo_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op bgpo_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op bgpo_mpi_min(void) { return MPI_MIN; }
static inline void *bgpo_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler bgpo_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int bgpo_mpi_success(void) { return MPI_SUCCESS; }
static inline int bgpo_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int bgpo_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
