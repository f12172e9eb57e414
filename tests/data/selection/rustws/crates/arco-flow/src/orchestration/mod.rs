pub mod run_key;
