#!/usr/bin/env bash
# Build the CUDA binary on a machine without a system CUDA toolkit (and without a GPU), from PyPI wheels:
#
#     bash scripts/build_cuda.sh                  # H100/H200 (compute capability 9.0), CUDA 13.0 line
#     CUDA_COMPUTE_CAP=80 bash scripts/build_cuda.sh   # A100
#
# Output: target/cuda/terjemah-cuda (stripped, about 50 MB; the build has its own target folder, so the CPU
# binary in target/release stays). About 30 minutes on 2 cores, most of it nvcc
# compiling candle's kernels.
#
# Why each step:
#   * the toolkit: the nvidia-cuda-nvcc wheel carries nvcc, the other wheels its headers and the libraries
#     the binary links (cudart, cublas, curand). Pinned to the 13.0 line because a 580 driver runs CUDA 13.0:
#     a newer nvcc writes PTX that driver cannot load, and cudarc 0.19 rejects nvcc 13.5 outright. For an
#     older driver pick the matching 12.x wheels (nvidia-cuda-nvcc-cu12 and friends) instead;
#   * the wheels ship only versioned libraries (libcudart.so.13); the linker wants the plain names;
#   * libcuda (the driver API) is not on PyPI, and candle links it (cudarc's dynamic-linking feature): a stub
#     with the same symbols satisfies the linker; the real libcuda.so.1 comes with the GPU driver at run time;
#   * CUDA_COMPUTE_CAP: without it the build asks nvidia-smi and fails on a machine without a GPU.
#
# At run time the binary needs the driver's libcuda.so.1 and libcudart.so.13, libcublas.so.13,
# libcublasLt.so.13, libcurand.so.10 on the library path, e.g. from the same wheels (or a PyTorch
# install's):  export LD_LIBRARY_PATH="$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))')"
#
# Built and checked on a machine without a GPU only (it starts, translates on the CPU, and refuses
# --device cuda with a one-line error); see the README's CUDA section.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${CUDA_VENV:-.cuda-venv}
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet \
    nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 \
    nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 nvidia-cuda-nvrtc==13.0.88 \
    nvidia-cublas==13.1.0.3 nvidia-curand==10.4.0.35
CU=$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')

for lib in cudart cublas cublasLt curand nvrtc; do
    versioned=$(cd "$CU/lib" && ls "lib$lib.so."[0-9]* | grep -v alt | head -1)
    ln -sf "$versioned" "$CU/lib/lib$lib.so"
done

cargo fetch
mkdir -p "$CU/lib/stubs"
# One function per cu* symbol cudarc declares; never called (the stub is only linked against).
grep -ohE '^pub unsafe fn cu[A-Za-z0-9_]+' "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.*/src/driver/sys/mod.rs \
    | awk '{print "int " $4 "(void) { return 999; }"}' | sort -u > "$CU/lib/stubs/libcuda_stub.c"
gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$CU/lib/stubs/libcuda.so" "$CU/lib/stubs/libcuda_stub.c"

export CUDA_HOME=$CU          # cudarc adds $CUDA_HOME/lib and lib/stubs to the link search path
export PATH=$CU/bin:$PATH     # cudarc reads the CUDA version from `nvcc --version`
export CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-$(nproc)}
cargo build --release --features cuda --target-dir target/cuda
strip -o target/cuda/terjemah-cuda target/cuda/release/terjemah
echo "built target/cuda/terjemah-cuda (compute capability $CUDA_COMPUTE_CAP)" >&2
