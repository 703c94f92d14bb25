#include "csignals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be a lock-free atomic int");

static const int stop_signals[] = { SIGUSR1, SIGUSR2, SIGTERM };
enum { stop_signal_count = sizeof(stop_signals) / sizeof(stop_signals[0]) };

static atomic_int received_signal = 0;
static struct sigaction previous_actions[stop_signal_count];
static int installed = 0;

// Runs in signal context: one compare-and-swap on a lock-free atomic, nothing else.
static void stop_handler(int signo) {
    int expected = 0;
    atomic_compare_exchange_strong(&received_signal, &expected, signo);
}

int bgpo_stop_signals_install(void) {
    if (installed) return 0;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = stop_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < stop_signal_count; i++) {
        if (sigaction(stop_signals[i], &action, &previous_actions[i]) != 0) {
            int error = errno;
            for (int j = 0; j < i; j++) sigaction(stop_signals[j], &previous_actions[j], NULL);
            return error;
        }
    }
    // A process started from a thread that blocks these signals (Foundation's Process on a
    // Dispatch worker thread, for one) inherits that mask and would never run the handler.
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int i = 0; i < stop_signal_count; i++) sigaddset(&unblock, stop_signals[i]);
    int error = pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    if (error != 0) return error;
    installed = 1;
    return 0;
}

int bgpo_stop_signals_uninstall(void) {
    if (!installed) return 0;
    for (int i = 0; i < stop_signal_count; i++) {
        if (sigaction(stop_signals[i], &previous_actions[i], NULL) != 0) return errno;
    }
    installed = 0;
    return 0;
}

int bgpo_stop_signal_received(void) {
    return atomic_load(&received_signal);
}

void bgpo_stop_signal_reset(void) {
    atomic_store(&received_signal, 0);
}
