"""Rebuild kit's trained ResNet-8 in PyTorch and export it as ONNX, as a PyTorch user would.

  python3 export-resnet8-onnx.py [--kit test/fixtures/resnet8] [--out resnet8.onnx] [--opset 13]

Reads the TF.js Layers model `kit train` wrote (model.json, its float32 weight shard, kit.json for the
normalization), copies every weight into an nn.Module written the PyTorch way (NCHW, Conv2d +
BatchNorm2d + ReLU, residual adds, AvgPool2d, Linear) with the CIFAR-10 normalization inside
forward() as registered buffers, and calls torch.onnx.export (eval mode, dynamic batch). The ONNX
model reads pixel / 255 in NCHW and computes what kit's float model computes (the same weights),
which `npm run onnx:accuracy` checks on the test set with ONNX Runtime.

Keras' 'same' padding of a stride-2 3x3 convolution pads one row and column at the bottom and right
only; PyTorch's padding=1 pads both sides and would shift every window by a pixel. The model below
pads like Keras with nn.ZeroPad2d((0, 1, 0, 1)), which the export writes as a Pad node.

Not part of kit or its tests (they build the same graph without PyTorch); needs python3-torch.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBn(nn.Module):
    def __init__(self, cin, cout, stride, relu):
        super().__init__()
        # Keras 'same': symmetric for stride 1, bottom/right only for stride 2 on an even size.
        self.pad = nn.ZeroPad2d((0, 1, 0, 1)) if stride == 2 else nn.Identity()
        self.conv = nn.Conv2d(cin, cout, 3, stride, padding=1 if stride == 1 else 0)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5)
        self.relu = relu

    def forward(self, x):
        y = self.bn(self.conv(self.pad(x)))
        return F.relu(y) if self.relu else y


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = ConvBn(cin, cout, stride, True)
        self.b = ConvBn(cout, cout, 1, False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 else nn.Identity()

    def forward(self, x):
        return F.relu(self.shortcut(x) + self.b(self.a(x)))


class ResNet8(nn.Module):
    """MLPerf Tiny ResNet-8 (16/32/64 filters) with the input normalization inside the model."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.stem = ConvBn(3, 16, 1, True)
        self.stack1 = Block(16, 16, 1)
        self.stack2 = Block(16, 32, 2)
        self.stack3 = Block(32, 64, 2)
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = self.stack3(self.stack2(self.stack1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def read_layers_weights(kit_dir):
    """name -> numpy array, from model.json's weightsManifest (float32 shards, in manifest order)."""
    with open(os.path.join(kit_dir, "model.json")) as f:
        manifest = json.load(f)["weightsManifest"]
    out = {}
    for group in manifest:
        data = b"".join(open(os.path.join(kit_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if w["dtype"] != "float32":
                raise SystemExit(f"weight {w['name']} is {w['dtype']}; this script reads float32 shards")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            out[w["name"]] = np.frombuffer(data, dtype="<f4", count=n, offset=offset).reshape(w["shape"])
            offset += 4 * n
    return out


def load_into(model, w):
    def conv(module, name):
        module.weight.copy_(torch.from_numpy(w[f"{name}/kernel"].transpose(3, 2, 0, 1).copy()))  # HWIO -> OIHW
        module.bias.copy_(torch.from_numpy(w[f"{name}/bias"].copy()))

    def bn(module, name):
        for attr, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance")):
            getattr(module, attr).copy_(torch.from_numpy(w[f"{name}/{key}"].copy()))

    def convbn(module, name):
        conv(module.conv, f"{name}_conv")
        bn(module.bn, f"{name}_bn")

    with torch.no_grad():
        convbn(model.stem, "stem")
        for i, stack in enumerate((model.stack1, model.stack2, model.stack3), start=1):
            convbn(stack.a, f"stack{i}_a")
            convbn(stack.b, f"stack{i}_b")
            if isinstance(stack.shortcut, nn.Conv2d):
                conv(stack.shortcut, f"stack{i}_shortcut")
        model.fc.weight.copy_(torch.from_numpy(w["logits/kernel"].T.copy()))
        model.fc.bias.copy_(torch.from_numpy(w["logits/bias"].copy()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kit", default="test/fixtures/resnet8", help="folder of a kit-trained resnet8 (model.json, weights, kit.json)")
    parser.add_argument("--out", default="resnet8.onnx")
    parser.add_argument("--opset", type=int, default=13)
    args = parser.parse_args()
    with open(os.path.join(args.kit, "kit.json")) as f:
        kit = json.load(f)
    if kit.get("model") != "resnet8":
        raise SystemExit(f"{args.kit} holds a {kit.get('model')} model; this script rebuilds resnet8")
    norm = kit["normalization"]
    model = ResNet8(norm["mean"], norm["std"])
    load_into(model, read_layers_weights(args.kit))
    model.eval()
    torch.onnx.export(model, torch.rand(1, 3, 32, 32), args.out, opset_version=args.opset,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print(json.dumps({"out": args.out, "opset": args.opset, "torch": torch.__version__, "bytes": os.path.getsize(args.out)}))


if __name__ == "__main__":
    main()
