"""The reference's Hessian-vector product on W1's shape, timed: for comparing engines on one machine.

The reference (loss-landscape's min_max_hessian_eigs, PyHessian) takes exact products by double
backprop in PyTorch. This builds a ResNet-20 of W1's shape (16/32/64 channels, 32x32x3, 10 classes,
BN in inference mode, random init), 64 random samples, and times a forward pass, a loss+gradient
pass and one product over the weights of rank >= 2 (median of 7 after a warm-up). Not part of the
product and not run by tests or CI: PyTorch is a developer's oracle here (Debian: python3-torch).

    /usr/bin/python3 bench/reference/resnet20_hvp.py [threads]     # default 2
"""
import sys, time, torch, torch.nn as nn, torch.nn.functional as F
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads); torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s, i, o, stride):
        super().__init__()
        s.c1 = nn.Conv2d(i, o, 3, stride, 1, bias=False); s.b1 = nn.BatchNorm2d(o)
        s.c2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); s.b2 = nn.BatchNorm2d(o)
        s.sc = nn.Sequential() if stride == 1 and i == o else nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
    def forward(s, x):
        y = F.relu(s.b1(s.c1(x))); y = s.b2(s.c2(y)); return F.relu(y + s.sc(x))
class ResNet20(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Conv2d(3, 16, 3, 1, 1, bias=False); s.b = nn.BatchNorm2d(16)
        layers = []; i = 16
        for o, st in [(16, 1), (32, 2), (64, 2)]:
            for k in range(3): layers.append(Block(i, o, st if k == 0 else 1)); i = o
        s.layers = nn.Sequential(*layers); s.fc = nn.Linear(64, 10)
    def forward(s, x):
        x = F.relu(s.b(s.c(x))); x = s.layers(x); return s.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
net = ResNet20().eval()
x = torch.randn(64, 3, 32, 32); y = torch.randint(0, 10, (64,))
params = [p for p in net.parameters() if p.dim() >= 2]
v = [torch.randn_like(p) for p in params]
def grad():
    loss = F.cross_entropy(net(x), y); return torch.autograd.grad(loss, params)
def hvp():
    loss = F.cross_entropy(net(x), y); g = torch.autograd.grad(loss, params, create_graph=True)
    return torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
def fwd():
    with torch.no_grad(): return F.cross_entropy(net(x), y)
def med(f, n=7):
    f(); t = []
    for _ in range(n):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
    return sorted(t)[n // 2]
print(f"torch {torch.__version__} threads {threads}: forward {med(fwd):.4f} s, gradient {med(grad):.4f} s, H·v {med(hvp):.4f} s")
