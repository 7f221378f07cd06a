//! A deterministic RNG for tests: SHA-256 of a seed and a counter.

use rand_core::{Infallible, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

#[derive(Debug)]
pub struct CountingRng {
    seed: u64,
    counter: u64,
}

impl CountingRng {
    pub fn new(seed: u64) -> Self {
        CountingRng { seed, counter: 0 }
    }
}

impl TryRng for CountingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let block =
                Sha256::new().chain_update(self.seed.to_le_bytes()).chain_update(self.counter.to_le_bytes()).finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for CountingRng {}
