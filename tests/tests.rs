//! One integration test binary (one link of candle): the modules below share `util`.

mod cli;
mod documents;
mod parity;
mod util;
