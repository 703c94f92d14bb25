// Async-signal-safe stop flag for SIGUSR1, SIGUSR2 and SIGTERM.
//
// The handler only stores the signal number into a lock-free atomic int; Swift reads it by polling.
// Swift cannot write such a handler itself without risking allocation or lazy-global initialisation
// inside the handler, so the handler lives here in C.
#ifndef BGPO_CSIGNALS_H
#define BGPO_CSIGNALS_H

/// Installs the stop handler for SIGUSR1, SIGUSR2 and SIGTERM (SA_RESTART), remembering the
/// previous actions, and unblocks the three signals in the calling thread (threads created later
/// inherit its mask). Idempotent. Returns 0, or the error number of the failing call.
int bgpo_stop_signals_install(void);

/// Restores the actions that were in place before bgpo_stop_signals_install. Idempotent.
/// Returns 0, or the errno of the failing sigaction call.
int bgpo_stop_signals_uninstall(void);

/// The number of the first stop signal received since install or reset, or 0 if none.
int bgpo_stop_signal_received(void);

/// Forgets any received stop signal.
void bgpo_stop_signal_reset(void);

#endif
