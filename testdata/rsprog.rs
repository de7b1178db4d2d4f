// rsprog: a Rust static, written by a function whose name is mangled.
static mut COUNTER: u64 = 7;

#[inline(never)]
fn bump(by: u64) {
    unsafe {
        COUNTER += by; // bump line
    }
}

fn main() {
    bump(5);
    unsafe {
        let c = COUNTER;
        println!("counter={}", c);
    }
}
