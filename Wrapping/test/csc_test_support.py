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


def circular_synthesis(dictionary, coefficients):
    """sum_k d_k (*) x_k, circular, kernel origin at its centre tap (size // 2), as the module's
    operator defines it. dictionary: (K, h, w); coefficients: (K, H, W)."""
    k, h, w = dictionary.shape
    shape = coefficients.shape[1:]
    padded = np.zeros((k,) + shape)
    padded[:, :h, :w] = dictionary
    padded = np.roll(padded, (-(h // 2), -(w // 2)), axis=(1, 2))
    spectrum = np.fft.rfft2(padded) * np.fft.rfft2(coefficients.astype(np.float64))
    return np.fft.irfft2(spectrum.sum(axis=0), s=shape)


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)
