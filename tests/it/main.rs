//! placeholder

mod reference;
