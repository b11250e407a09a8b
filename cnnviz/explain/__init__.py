"""What the network has learnt, computed in pure NumPy (no Qt): the top data set patches and
a synthesised image for a channel, Grad-CAM and guided backpropagation, 2-D embeddings of a
layer, and the smallest change that fools the network. Layers are named as in
``net.trace`` ("conv1", "pool1", "fc1", ...); nothing here assumes LeNet's layout."""

from .attribution import GradCam, grad_cam, guided_backprop, upsample
from .embedding import (Embedding, align, embedding, features_and_predictions, layer_features,
                        top_eigenvectors,
                        pca_2d, tsne_2d)
from .fool import Fooled, fool
from .maximize import Synthesised, maximize_activation
from .network_walk import (LayerInfo, ReceptiveField, channel_layers, detached_copy, find_layer,
                           last_conv_activation, layer_infos, penultimate_layer,
                           receptive_field, spatial_layers)
from .top_patches import TopPatches, channel_activation, class_means, top_patches
from .channel_weights import channel_weights

__all__ = [
    "Embedding", "Fooled", "GradCam", "LayerInfo", "ReceptiveField", "Synthesised",
    "TopPatches", "align", "channel_activation", "channel_layers", "channel_weights",
    "detached_copy", "features_and_predictions", "top_eigenvectors",
    "class_means",
    "embedding", "find_layer", "fool", "grad_cam", "guided_backprop", "last_conv_activation",
    "layer_features", "layer_infos", "maximize_activation", "pca_2d", "penultimate_layer",
    "receptive_field", "spatial_layers", "top_patches", "tsne_2d", "upsample",
]
