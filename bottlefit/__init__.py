__version__ = "0.1.0"

import os as _os

# PyTorch's CPU allocator backs large tensors with transparent huge pages when this is set before its first large
# allocation: 10-30x fewer page faults in a training step (see nbs/04_train.ipynb, "Speed"). Set it to 0 to opt out.
_os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
