"""PyTorch side of kit's comparisons: the same models and recipe, run by PyTorch on the CPU.

Not part of kit and not used by its tests: scripts/bench-train.ts --vs-pytorch and
scripts/train-pytorch.ts call it when PyTorch is installed (Debian: apt-get install python3-torch).

  reference.py bench --model resnet8|resnet-seed --batch 32 --steps 20 --threads 2
      training and inference throughput on random data of CIFAR-10 shape; prints one JSON line
  reference.py train --data DIR --epochs 30 --batch 64 --lr 2e-3 --threads 2 --seed 1
      ResNet-8 with kit's default recipe on images exported by train-pytorch.ts (raw uint8 HWC
      files); prints one JSON line per epoch and the test accuracy at the end
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.247, 0.243, 0.261)


class ConvBn(nn.Module):
    # Padding kernel // 2 on every side: the same shapes, parameters and MACs as Keras' 'same'
    # (which pads only bottom and right in the stride-2 convolutions).
    def __init__(self, cin, cout, kernel, stride, relu):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=True)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)  # Keras momentum 0.9
        self.relu = relu

    def forward(self, x):
        y = self.bn(self.conv(x))
        return F.relu(y) if self.relu else y


class Block(nn.Module):
    """conv3x3+BN+ReLU, conv3x3+BN, shortcut (identity or 1x1 conv without BN), add, ReLU."""

    def __init__(self, cin, cout, stride, conv_shortcut):
        super().__init__()
        self.a = ConvBn(cin, cout, 3, stride, True)
        self.b = ConvBn(cout, cout, 3, 1, False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if conv_shortcut else nn.Identity()

    def forward(self, x):
        return F.relu(self.shortcut(x) + self.b(self.a(x)))


class ResNet8(nn.Module):
    """kit's resnet8 (src/models/resnet8.ts): the MLPerf Tiny ResNet-8, 16/32/64 filters."""

    def __init__(self):
        super().__init__()
        self.stem = ConvBn(3, 16, 3, 1, True)
        self.stacks = nn.Sequential(Block(16, 16, 1, False), Block(16, 32, 2, True), Block(32, 64, 2, True))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.avg_pool2d(self.stacks(self.stem(x)), 8)
        return self.fc(torch.flatten(x, 1))


class ResNetSeed(nn.Module):
    """kit's resnet-seed (src/models/resnet-seed.ts): three BasicBlocks 64/128/256, dense 2048/512/10."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(3, 64, 1, True), Block(64, 128, 1, True), Block(128, 256, 1, True)])
        self.fc = nn.Sequential(nn.Linear(4096, 2048), nn.ReLU(), nn.Linear(2048, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        for block in self.blocks:
            x = F.avg_pool2d(block(x), 2)
        return self.fc(torch.flatten(x, 1))


MODELS = {"resnet8": ResNet8, "resnet-seed": ResNetSeed}


def init_like_kit(model):
    """He-normal convolution and hidden dense kernels, zero biases, as kit's models."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)


def bench(args):
    model = MODELS[args.model]()
    init_like_kit(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    def infer():
        with torch.no_grad():
            model(x).numpy()

    def rate(f, n, train):
        """Images/s over all n calls, and of the fastest call (least disturbed on a shared machine)."""
        model.train(train)
        f()
        f()
        fastest = float("inf")
        t0 = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            f()
            fastest = min(fastest, time.perf_counter() - t)
        return n * args.batch / (time.perf_counter() - t0), args.batch / fastest

    train_steps = max(2, args.steps // 4) if args.model == "resnet-seed" else args.steps
    train, train_best = rate(step, train_steps, True)
    inference, infer_best = rate(infer, args.steps, False)
    out = {"model": args.model, "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch,
           "train": train, "train_best": train_best, "infer": inference, "infer_best": infer_best}
    print(json.dumps(out), flush=True)


def load(data, split):
    x = np.fromfile(f"{data}/{split}-images.u8", dtype=np.uint8).reshape(-1, 32, 32, 3)
    y = np.fromfile(f"{data}/{split}-labels.u8", dtype=np.uint8).astype(np.int64)
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y)


def normalize(x):
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x.float() / 255 - mean) / std


def augment(x, gen):
    """RandomCrop(32, padding 4, zero fill) and RandomHorizontalFlip(0.5) on raw uint8 images."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty_like(x)
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(normalize(x[i:i + batch])).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def train(args):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "test")
    model = ResNet8()
    init_like_kit(model)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = (train_x.shape[0] + args.batch - 1) // args.batch
    # OneCycleLR with its defaults, including the beta1 cycle (0.95 -> 0.85 -> 0.95) kit copies.
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=gen)
        total, seen = 0.0, 0
        for s in range(steps):
            idx = order[s * args.batch:(s + 1) * args.batch]
            x = normalize(augment(train_x[idx], gen))
            opt.zero_grad()
            loss = F.cross_entropy(model(x), train_y[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
            seen += idx.shape[0]
        elapsed = time.perf_counter() - t0
        print(json.dumps({"epoch": epoch + 1, "loss": total / seen, "seconds": elapsed,
                          "images_per_s": seen * (epoch + 1) / elapsed}), flush=True)
    print(json.dumps({"test_accuracy": accuracy(model, test_x, test_y), "epochs": args.epochs,
                      "train_images": train_x.shape[0], "test_images": test_x.shape[0], "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "seconds": time.perf_counter() - t0}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--model", default="resnet8", choices=MODELS)
    b.add_argument("--batch", type=int, default=32)
    b.add_argument("--steps", type=int, default=20)
    b.add_argument("--threads", type=int, default=0)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bench(args) if args.cmd == "bench" else train(args)


if __name__ == "__main__":
    main()
