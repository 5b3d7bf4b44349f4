//! One integration test binary (one link of candle): the modules below share `util`.

mod cli;
mod documents;
mod files;
mod layout;
mod markup;
mod model_faults;
mod news;
mod parity;
mod report;
mod shards;
mod stream;
mod util;
