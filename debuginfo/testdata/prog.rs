// Rust test program: statics in the crate and in a module.
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(5);
static mut LIMIT: i32 = 12;

mod config {
    pub static NAME: &str = "rusty";
    pub static mut LEVEL: u8 = 3;
}

fn bump() -> u64 {
    COUNTER.fetch_add(1, Ordering::SeqCst)
}

fn main() {
    let v = bump();
    unsafe {
        LIMIT += 1;
        config::LEVEL += 1;
        let (limit, level) = (LIMIT, config::LEVEL);
        println!("{} {} {} {}", v, limit, config::NAME, level);
    }
}
