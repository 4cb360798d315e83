import * as tf from './tf.ts';

const KERNEL = 'Conv2DBackpropFilter';

type Kernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend; attrs: Record<string, unknown> }) => tf.TensorInfo;

function wasmKernel(name: string): Kernel {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as Kernel;
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so no conv2d model can be trained
 * (or differentiated w.r.t. its kernels) on wasm. This registers one built from wasm kernels that
 * exist: for strides (s_h, s_w) and NHWC,
 *   dW[i, j, c, o] = Σ_{b,h,w} x_pad[b, s_h·h + i, s_w·w + j, c] · dy[b, h, w, o]
 * is a convolution, with dilation (s_h, s_w) and stride 1, of x transposed to [C, H, W, B] with dy
 * transposed to [OH, OW, B, O] as the filter (the same padding); its first kh × kw outputs
 * (rows the forward pass never reached are dropped), transposed from [C, kh, kw, O] to
 * [kh, kw, C, O]. Idempotent; dilated forward convolutions and NCHW throw a clear error.
 */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel(KERNEL, 'wasm')) return;
  const conv2d = wasmKernel('Conv2D');
  const transpose = wasmKernel('Transpose');
  const slice = wasmKernel('Slice');
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Parameters<Kernel>[0]) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat !== 'NHWC') throw new Error(`${KERNEL} on wasm supports NHWC only, got ${dataFormat}`);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error(`${KERNEL} on wasm does not support dilated convolutions`);
      const { top, bottom, left, right } = info.padInfo;
      const [kh, kw] = filterShape;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const gradient = conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: { strides: 1, dilations: [info.strideHeight, info.strideWidth], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dimRoundingMode: undefined },
      });
      const temporaries = [xT, dyT, gradient];
      let cropped = gradient;
      if (gradient.shape[1] !== kh || gradient.shape[2] !== kw) {
        cropped = slice({ inputs: { x: gradient }, backend, attrs: { begin: [0, 0, 0, 0], size: [gradient.shape[0]!, kh, kw, gradient.shape[3]!] } });
        temporaries.push(cropped);
      }
      const result = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const temporary of temporaries) backend.disposeData(temporary.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  });
}
