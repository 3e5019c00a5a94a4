/// The layer class names that RETURNN 1.20261022 registers (TF backend), aliases included.
public enum ReturnnLayerClasses {
    /// All 152 class names.
    public static let all: Set<String> = [
        ":i", "accumulate_mean", "activation", "alternating_real_to_complex", "apply_length_distribution",
        "batch_median_pooling", "batch_norm", "batch_softmax", "boolean_mask", "cast", "choice",
        "choice_get_beam_scores", "choice_get_src_beams", "classes_to_length_distribution",
        "classes_to_length_distribution_global", "classes_to_segments", "combine", "combine_dims", "compare",
        "complex_linear_projection", "complex_to_alternating_real", "concat", "concat_attention", "cond", "constant",
        "conv", "copy", "ctc_loss", "cum_concat", "cumsum", "dct", "decide", "decide_keep_beam", "dot",
        "dot_attention", "dropout", "edit_distance", "edit_distance_table", "elemwise_prod", "eval", "expand_dims",
        "fast_bw", "fill_unused", "first_t_frames_noise_estimator", "flatten_batch", "flatten_time", "fold",
        "forced_align", "forward", "framewise_statistics", "gather", "gather_nd", "gating", "gauss_window_attention",
        "generic_attention", "get_last_hidden_state", "get_rec_accumulated", "global_train_step", "gradient",
        "hdf_dump", "hidden", "identity", "image_summary", "istft", "kenlm", "layer_norm", "length", "linear",
        "loss", "mask_based_gevbeamforming", "mask_based_mvdrbeamforming", "masked_computation", "math_norm",
        "mel_filterbank", "merge_dims", "multichannel_multiresolution_stft_layer", "multichannel_stft_layer", "norm",
        "normalize_length_scores", "optimal_completions", "pad", "parametric_wiener_filter", "pool",
        "positional_encoding", "postfix_in_time", "prefix_in_time", "print", "rand_int", "random",
        "random_state_init", "range", "range_from_length", "range_in_axis", "rec", "rec_last_output", "rec_unstack",
        "reduce", "reduce_out", "reinterpret_data", "relative_positional_encoding", "remove", "repeat", "reshape",
        "resize", "rnn_cell", "scaled_grad", "scatter_nd", "search_sorted", "segment_alignment", "segment_input",
        "self_attention", "seq_len_mask", "shift_axis", "signal_masking", "slice", "slice_nd", "softmax",
        "softmax_over_spatial", "source", "sparse_softmax_cross_entropy_with_logits", "split", "split_batch_beam",
        "split_batch_time", "split_concatenated_multichannel", "split_dims", "squeeze", "stack", "stft",
        "subnetwork", "swap_axes", "swap_time_feature", "switch", "synthetic_gradient", "tikhonov_regularization",
        "tile", "tile_features", "time_chunking", "time_unchunking", "top_k", "train_flag", "transpose",
        "transposed_conv", "twod_lstm", "unflatten_batch", "unflatten_nd", "unmask", "unsegment_input", "variable",
        "variable_assign", "variable_read", "weighted_sum", "window",
    ]

    /// The known class closest to `name` by edit distance, if it is close enough to be a likely typo.
    public static func suggestion(for name: String) -> String? {
        var best: (name: String, distance: Int)?
        let lowercased = name.lowercased()
        let length = lowercased.unicodeScalars.count
        let limit = max(2, name.count / 4)
        for (candidate, candidateLength) in allWithLengths {
            // The edit distance is at least the difference in length (this keeps a huge class name fast).
            guard abs(candidateLength - length) <= limit else { continue }
            let distance = editDistance(lowercased, candidate)
            guard distance <= limit else { continue }
            if let current = best, (current.distance, current.name) <= (distance, candidate) { continue }
            best = (candidate, distance)
        }
        return best?.name
    }

    /// Every class name with its length in Unicode scalars.
    private static let allWithLengths: [(name: String, length: Int)] = all.map { ($0, $0.unicodeScalars.count) }

    /// The Levenshtein distance between two names, in Unicode scalars (on UTF-8 bytes when both are ASCII).
    static func editDistance(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        if a.utf8.allSatisfy({ $0 < 0x80 }), b.utf8.allSatisfy({ $0 < 0x80 }) {
            return a.withUTF8 { x in b.withUTF8 { y in levenshtein(x, y) } }
        }
        return levenshtein(a.unicodeScalars.map(\.value), b.unicodeScalars.map(\.value))
    }

    /// The Levenshtein distance of two sequences, with one row of scratch space on the stack.
    static func levenshtein<C: RandomAccessCollection>(_ a: C, _ b: C) -> Int where C.Element: Equatable, C.Index == Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: b.count + 1) { row in
            for j in 0...b.count { row[j] = j }
            for i in 0..<a.count {
                var diagonal = row[0]
                row[0] = i + 1
                let x = a[a.startIndex + i]
                for j in 0..<b.count {
                    let above = row[j + 1]
                    row[j + 1] = Swift.min(above + 1, row[j] + 1, diagonal + (x == b[b.startIndex + j] ? 0 : 1))
                    diagonal = above
                }
            }
            return row[b.count]
        }
    }
}
