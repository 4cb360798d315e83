import * as tf from '@tensorflow/tfjs';

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
 * exist: for stride 1 and NHWC,
 *   dW[i, j, c, o] = Σ_{b,h,w} x_pad[b, h+i, w+j, c] · dy[b, h, w, o]
 * is a convolution of x transposed to [C, H, W, B] with dy transposed to [OH, OW, B, O] as the
 * filter (the same padding), transposed back from [C, kh, kw, O] to [kh, kw, C, O].
 * Idempotent; strides > 1 and NCHW throw a clear error.
 */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel(KERNEL, 'wasm')) return;
  const conv2d = wasmKernel('Conv2D');
  const transpose = wasmKernel('Transpose');
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
      if (info.strideHeight !== 1 || info.strideWidth !== 1) throw new Error(`${KERNEL} on wasm supports stride 1 only, got ${info.strideHeight}×${info.strideWidth}`);
      const { top, bottom, left, right } = info.padInfo;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const gradient = conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: { strides: 1, dilations: 1, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dimRoundingMode: undefined },
      });
      const result = transpose({ inputs: { x: gradient }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const temporary of [xT, dyT, gradient]) backend.disposeData(temporary.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  });
}
