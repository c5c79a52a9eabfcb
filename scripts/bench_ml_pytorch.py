#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The PyTorch side of modules/ml/bench/train_bench.cpp: the same reference models, data layout
(windows gathered from one feature tensor), optimizer, loss and clipping, eager mode.

    /usr/bin/python3 scripts/bench_ml_pytorch.py [--device cuda] [--bf16] [--steps 40]
        [--batches 64,256,1024] [--predict] [--threads N]

Needs torch (Debian: python3-torch; GPU machines: their PyTorch). Prints samples/s per model and
batch size, after warm-up steps, like the C++ benchmark's samples_per_s counter.
"""
import argparse
import math
import time

import torch
from torch import nn

FEATURES, SEQ_LEN = 32, 64


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(FEATURES, 128, num_layers=2, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


class Transformer(nn.Module):
    def __init__(self, d_model=64, heads=4, layers=2):
        super().__init__()
        self.inp = nn.Linear(FEATURES, d_model)
        position = torch.arange(SEQ_LEN).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(SEQ_LEN, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe)
        layer = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.register_buffer("mask", torch.triu(torch.full((SEQ_LEN, SEQ_LEN), float("-inf")), 1))
        self.head = nn.Linear(d_model, 1)

    def forward(self, x):
        h = self.encoder(self.inp(x) + self.pe, mask=self.mask)
        return self.head(h[:, -1])


def rate(model_cls, batch, steps, device, bf16):
    torch.manual_seed(7)
    rows = batch * steps + SEQ_LEN - 1
    features = torch.randn(rows, FEATURES, device=device)
    labels = 0.01 * torch.randn(rows, device=device)
    model = model_cls().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    offsets = torch.arange(SEQ_LEN, device=device)

    def step(ends):
        x = features[(ends.unsqueeze(1) - SEQ_LEN + 1) + offsets]
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = nn.functional.mse_loss(model(x).squeeze(1).float(), labels[ends])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    order = torch.randperm(batch * steps, device=device) + SEQ_LEN - 1
    for i in range(min(3, steps)):  # warm-up
        step(order[i * batch:(i + 1) * batch])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        step(order[i * batch:(i + 1) * batch])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def predict_latency(model_cls, device, windows=4096, repeats=3):
    """Seconds for forecasts of `windows` windows in one no-grad call (median of `repeats`)."""
    torch.manual_seed(7)
    features = torch.randn(windows + SEQ_LEN - 1, FEATURES, device=device)
    model = model_cls().to(device).eval()
    ends = torch.arange(SEQ_LEN - 1, windows + SEQ_LEN - 1, device=device)
    offsets = torch.arange(SEQ_LEN, device=device)
    times = []
    with torch.no_grad():
        for i in range(repeats + 1):  # the first call warms up
            start = time.perf_counter()
            out = model(features[(ends.unsqueeze(1) - SEQ_LEN + 1) + offsets]).squeeze(1).cpu()
            if i > 0:
                times.append(time.perf_counter() - start)
    assert out.shape[0] == windows
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per batch size")
    parser.add_argument("--batches", default="64,256,1024")
    parser.add_argument("--predict", action="store_true",
                        help="also the latency of forecasts for 4,096 windows in one call")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads (torch.set_num_threads); 0 keeps torch's default")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}")
    for name, cls in (("lstm", Lstm), ("transformer", Transformer)):
        for batch in (int(b) for b in args.batches.split(",")):
            samples = rate(cls, batch, args.steps, args.device, args.bf16)
            print(f"{name:12s} batch {batch:5d}  {samples:10.0f} samples/s")
        if args.predict:
            seconds = predict_latency(cls, args.device)
            print(f"{name:12s} predict 4096 windows  {1000 * seconds:10.1f} ms")


if __name__ == "__main__":
    main()
