//! [`block_on`]: the smallest executor that can drive a [`Storage`](super::Storage)
//! future to completion on a native thread.
//!
//! Native backends return immediately-ready futures, so this loop usually polls once.
//! It still parks the thread properly when a future is pending, so it is correct for any
//! future woken from another thread. Not for wasm: the browser's event loop drives
//! futures there (`wasm-bindgen-futures`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on the current thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
