"""imc.nn: quantized networks -- quantizers, layers, training, integer export, ONNX import/export, model zoo, data."""

from imc.nn.data import DATASETS, Dataset, load_dataset
from imc.nn.io import ModelFileError, load_model, save_model
from imc.nn.network import IntegerModel, Sequential
from imc.nn.onnx import load_onnx, save_onnx
from imc.nn.quantizers import QUANTIZERS, make_quantizer
from imc.nn.train import TrainConfig, train

__all__ = ["DATASETS", "Dataset", "IntegerModel", "ModelFileError", "QUANTIZERS", "Sequential", "TrainConfig",
           "load_dataset", "load_model", "load_onnx", "make_quantizer", "save_model", "save_onnx", "train"]
