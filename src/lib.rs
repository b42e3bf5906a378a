//! # enclave
//!
//! A parallel Monte Carlo engine for the economics of co-built "enclave" industrial
//! parks (飞地经济): parks that two or more regions build together, with equity valued
//! from cash and in-kind contributions, shared costs, and cross-region tax sharing.
//!
//! The modules mirror the model specification (docs/model.md):
//! [`scenario`] reads and checks input; [`sampling`] and [`dist`] draw uncertain
//! inputs; [`economy`] simulates one future of the park (firms, taxes, the park
//! company); [`sharing`] holds the formulas that split the pools; [`outcome`] turns a
//! path into each region's cash flows and metrics; [`fairness`] has the regions'
//! cooperative game (Shapley values, the Nash product); [`engine`] runs many paths in
//! parallel, reproducibly; [`stats`] summarises them as they stream; [`finance`] has
//! the present-value arithmetic; [`output`] writes the results; [`shard`] splits a
//! run across machines and merges the parts back exactly.
//!
//! Only [`scenario`] knows TOML and only [`output`] writes files: the simulation core
//! does no I/O, reads no clock and creates no unseeded random generator.

#![warn(missing_docs)]
#![deny(clippy::float_cmp)]
#![forbid(unsafe_code)]

pub mod chart;
pub mod coalition;
pub mod convergence;
pub mod copula;
pub mod dist;
pub mod economy;
pub mod engine;
pub mod fairness;
pub mod finance;
pub mod fit;
pub mod i18n;
pub mod mathlib;
pub mod outcome;
pub mod output;
pub mod publish;
pub mod qmc;
pub mod replay;
pub mod report;
pub mod results;
pub mod sampling;
pub mod scenario;
pub mod schema;
pub mod sensitivity;
pub mod set_report;
pub mod set_stale;
pub mod shard;
pub mod sharing;
pub mod solve;
pub mod stats;
pub mod streams;
pub mod sweep;
pub mod xlsx;
