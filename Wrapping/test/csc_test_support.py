"""Shared helpers of the Python tests: the shared data folder and independent numpy maths."""
import os
import sys

import numpy as np


def shared_dir():
    """../shared beside the project root (argv[1] overrides); fails loudly when missing."""
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared")
    if not os.path.isfile(os.path.join(path, "cases", "README.md")):
        raise SystemExit(f"shared data not found at {path}: the Python tests need ../shared/cases")
    return path


def kernel_spectra(dictionary, shape):
    """The K kernels' spectra on a circular grid of \c shape, kernel origin at the centre tap
    (size // 2 per axis), as the module's operator defines it. dictionary: (K, *kernel shape)."""
    k = dictionary.shape[0]
    padded = np.zeros((k,) + tuple(shape))
    padded[(slice(None),) + tuple(slice(0, n) for n in dictionary.shape[1:])] = dictionary
    axes = tuple(range(1, len(shape) + 1))
    padded = np.roll(padded, tuple(-(n // 2) for n in dictionary.shape[1:]), axis=axes)
    return np.fft.rfftn(padded, axes=axes)


def circular_synthesis(dictionary, coefficients):
    """sum_k d_k (*) x_k, circular, in any dimension. dictionary: (K, *kernel shape);
    coefficients: (K, *image shape)."""
    shape = coefficients.shape[1:]
    axes = tuple(range(1, len(shape) + 1))
    spectrum = kernel_spectra(dictionary, shape) * np.fft.rfftn(coefficients.astype(np.float64), axes=axes)
    return np.fft.irfftn(spectrum.sum(axis=0), s=shape)


def circular_adjoint(dictionary, image):
    """A^T r: each kernel's circular correlation with \c image (*image shape), (K, *image shape)."""
    shape = image.shape
    axes = tuple(range(1, len(shape) + 1))
    spectrum = np.conj(kernel_spectra(dictionary, shape)) * np.fft.rfftn(image.astype(np.float64))[None]
    return np.fft.irfftn(spectrum, s=shape, axes=axes)


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)
