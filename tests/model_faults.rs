//! Corrupted copies of the fixture model: each is refused with one line naming the file.
