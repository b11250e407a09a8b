"""Architectures every view must handle (the views' "any network" tests parametrize over these).

Chosen to break assumptions a LeNet-only view makes: no conv layer at all, stride without
pooling, padding (maps as large as the input), three conv layers, average pooling with tanh,
many channels (paging), one conv layer and one fc layer.
"""

VIEW_ARCHS = {
    "lenet": "conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10",
    "mlp": "fc64 relu fc10",
    "stride2": "conv8x3s2 relu conv16x3s2 relu fc10",
    "padded": "conv8x3p1 relu maxpool conv16x3p1 relu maxpool fc64 relu fc10",
    "three_convs": "conv4x3p1 relu conv8x3p1 relu maxpool conv16x3p1 relu maxpool fc32 relu "
                   "dropout25 fc10",
    "tanh_avgpool": "conv6x5p2 tanh avgpool conv16x5 tanh avgpool fc120 tanh fc84 tanh fc10",
    "many_channels": "conv64x3p1 relu maxpool fc10",
    "tiny": "conv6x5 relu maxpool fc10",
}
