//! `--device auto|cpu|cuda|cuda:N` → a candle device, the dtype to compute in and batch defaults.
//!
//! An explicit CUDA request that cannot be met is an error, never a silent fall back to CPU.

use anyhow::{bail, Result};
use candle_core::{DType, Device};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA device 0 when this build and machine have one, else CPU.
    Auto,
    Cpu,
    Cuda(usize),
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            _ => match s.strip_prefix("cuda:").map(str::parse) {
                Some(Ok(n)) => Ok(Self::Cuda(n)),
                _ => Err(format!("{s:?} is not auto, cpu, cuda or cuda:N")),
            },
        }
    }
}

/// The precision asked for (`--dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtypeChoice {
    /// f16 on a GPU, f32 on the CPU (see [`dtype`]).
    Auto,
    F32,
    F16,
    Bf16,
}

/// Opens the device.
pub fn open(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => {
            if candle_core::utils::cuda_is_available() {
                if let Ok(device) = Device::new_cuda(0) {
                    return Ok(device);
                }
            }
            Ok(Device::Cpu)
        }
        DeviceChoice::Cuda(n) => {
            if !candle_core::utils::cuda_is_available() {
                bail!("--device cuda:{n}: this terjemah build has no CUDA support (rebuild with `--features cuda`)");
            }
            match Device::new_cuda(n) {
                Ok(device) => Ok(device),
                Err(e) => bail!(
                    "--device cuda:{n}: no usable GPU ({})",
                    first_line(&e.to_string())
                ),
            }
        }
    }
}

/// The compute dtype for `--dtype`: auto is f16 on a GPU (half the memory traffic, tensor cores)
/// and f32 on the CPU, where candle's half-precision kernels are slower than f32.
pub fn dtype(choice: DtypeChoice, device: &Device) -> DType {
    match choice {
        DtypeChoice::Auto if device.is_cpu() => DType::F32,
        DtypeChoice::Auto | DtypeChoice::F16 => DType::F16,
        DtypeChoice::F32 => DType::F32,
        DtypeChoice::Bf16 => DType::BF16,
    }
}

/// Default batch limits (padded source tokens, sentences): a GPU only gets busy with far larger
/// batches than two CPU cores need.
pub fn batch_defaults(device: &Device) -> (usize, usize) {
    if device.is_cpu() {
        (2048, 64)
    } else {
        (16384, 256)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse() {
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        assert_eq!("cuda:1".parse(), Ok(DeviceChoice::Cuda(1)));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
        assert!("gpu".parse::<DeviceChoice>().is_err());
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_cuda_build_is_an_error() {
        let err = open(DeviceChoice::Cuda(0)).unwrap_err().to_string();
        assert!(err.contains("no CUDA support"), "{err}");
        assert!(matches!(open(DeviceChoice::Auto).unwrap(), Device::Cpu));
    }
}
