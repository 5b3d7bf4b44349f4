//! Memory the CPU kernels ([`crate::kernels::packed`], [`crate::kernels::int8`]) share: weight tables on huge pages,
//! the output pointer their parallel tasks write through, and the allocator's reuse of freed blocks.

/// Huge-page size on x86-64 Linux.
const HUGE_PAGE: usize = 2 << 20;

/// `len` default (zero) values, their memory backed by 2 MiB pages where Linux allows it.
///
/// Every decoding step streams all the weights (about 200 MB at f32) from memory. With 4 KiB
/// pages that is a TLB miss and a restart of the hardware prefetcher every 4 KiB; the packed
/// 16-row output projection ran about 8% faster on huge pages (2 threads, `madvise` THP mode,
/// the default on most distributions). The advice is given before the first write, so the pages
/// are allocated huge rather than collapsed later; where it is refused nothing changes.
pub fn zeroed_on_huge_pages<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut values: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(values.as_ptr() as usize, len * size_of::<T>());
    values.resize(len, T::default());
    values
}

/// Asks for huge pages on the whole 2 MiB pages inside `[start, start + bytes)`.
fn advise_huge_pages(start: usize, bytes: usize) {
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end <= first {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: the range lies inside an allocation this process owns; MADV_HUGEPAGE changes how
    // its pages are backed, never their contents. A refusal is harmless, so the result is ignored.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
    }
}

/// Makes glibc keep freed blocks of up to 32 MiB (its ceiling) for reuse instead of handing them
/// back to the kernel.
///
/// Layers allocate and free activations of a few megabytes each, and a beam step's logits are
/// 14 MB. By default glibc maps such blocks afresh or trims them off the heap when freed, so every
/// one is faulted in and zeroed by the kernel again: page faults were 8% of an encoder pass, and
/// the 200 bench sentences encoded in 3.45 s instead of 3.75 s without them (medians of 4
/// alternated runs). Peak memory grew by 6 MB. Called once by the binary, before any allocation
/// that matters; a library user decides for their own process.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; it is called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// An output buffer shared by parallel tasks, each writing its own elements.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr(pub(crate) *mut f32);
// SAFETY: tasks write disjoint elements, and the kernels wait for all of them before reading.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// The buffer from element `at` on.
    ///
    /// # Safety
    /// `at` must lie inside the allocation.
    pub(crate) unsafe fn offset(self, at: usize) -> Self {
        Self(self.0.add(at))
    }

    /// # Safety
    /// `at` must lie inside the allocation and be written by no one else.
    pub(crate) unsafe fn write(self, at: usize, value: f32) {
        self.0.add(at).write(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_page_tables_are_zeroed_and_sized() {
        for len in [0, 1, 3 * HUGE_PAGE / 4 + 5] {
            let v: Vec<f32> = zeroed_on_huge_pages(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
        }
    }
}
