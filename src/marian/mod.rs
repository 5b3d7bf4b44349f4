//! The model as the Hugging Face hub publishes it: where its files are ([`hub`]), what they say
//! ([`config`], [`tokenizer`]), its weights ([`weights`]: safetensors; [`pth`]:
//! `pytorch_model.bin`; the size and finite checks both apply in `tensor_bytes`), and the Marian
//! encoder-decoder on candle ([`model`]; its [`layers`], what a batch carries between decoding
//! steps in [`cache`], the hand-off to the CPU kernels in `cpu`).
//!
//! Everything read from a model folder is checked here against the config and the file sizes
//! before anything is allocated from it. This folder knows nothing of documents, batching or
//! search: the model computes one step for rows it is given, and the caller owns the cache.

pub mod cache;
pub mod config;
mod cpu;
pub mod hub;
pub mod layers;
pub mod model;
pub mod pth;
mod tensor_bytes;
pub mod tokenizer;
pub mod weights;
