pub mod rdb;
