//! The model as the Hugging Face hub publishes it: where its files are ([`hub`]), what they say
//! ([`config`], [`tokenizer`]), its weights ([`weights`]: safetensors; [`pth`]: `pytorch_model.bin`)
//! and the Marian encoder-decoder on candle ([`model`]).
//!
//! Everything read from a model folder is checked here against the config and the file sizes
//! before anything is allocated from it. This folder knows nothing of documents, batching or
//! search: the model computes one step for rows it is given, and the caller owns the cache.

pub mod config;
pub mod hub;
pub mod model;
pub mod pth;
pub mod tokenizer;
pub mod weights;
