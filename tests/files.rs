//! Folder and file runs that must never lose, overwrite or hang on the user's files.
