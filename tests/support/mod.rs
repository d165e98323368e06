pub mod traces;
