#ifndef DATASPACE_PREFETCH_H
#define DATASPACE_PREFETCH_H

/// Asks the CPU to start bringing the cache line at `address` in for writing, without waiting
/// for it: the profiler's hash tables name the slot a value will probe several values ahead, so
/// the misses overlap instead of each stalling the loop in turn. Swift has no such intrinsic.
/// A hint only: any address is allowed, nothing is read.
static inline void dataspace_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
