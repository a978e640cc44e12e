/**
 * The hardware tables' lookups as the package exports them: the same answers as `src/hw/`, but a value
 * the table does not know is a typed InvalidArgumentError (stable code, one-line cause, hint) instead of
 * the plain RangeError the internal lookups throw (hw/ stays free of the error classes: layers.test.ts).
 */
import { InvalidArgumentError, showValue } from './errors.js';
import { ALL_FAMILIES, familyByModel as familyOfKnownModel, type FamilyDescriptor, type VfModel } from './hw/index.js';
import { PF_KERNEL_GENERATIONS, newestApiOfPfKernel as newestApiOfKnownGeneration, type PfKernelGeneration } from './hw/pf-kernel.js';
import type { ApiVersion } from './hw/api.js';

const MODELS = ALL_FAMILIES.map((f) => f.model);

/** The family descriptor of a VF model name (`'82599'`, `'X550'`, `'I350'`, …); ERR_UNKNOWN_MODEL otherwise. */
export function familyByModel(model: VfModel): FamilyDescriptor {
  if (typeof model !== 'string' || !(MODELS as readonly string[]).includes(model)) {
    throw new InvalidArgumentError('ERR_UNKNOWN_MODEL', `unknown VF model ${showValue(model)}: expected one of ${MODELS.join(', ')}`, {
      hint: 'ixgbevf info sim:family=x550',
      details: { model: showValue(model), models: MODELS },
    });
  }
  return familyOfKnownModel(model);
}

/** The newest API a PF of this kernel generation agrees to; ERR_UNKNOWN_PF_KERNEL for an unknown generation. */
export function newestApiOfPfKernel(generation: PfKernelGeneration): ApiVersion {
  if (typeof generation !== 'string' || !Object.hasOwn(PF_KERNEL_GENERATIONS, generation)) {
    const known = Object.keys(PF_KERNEL_GENERATIONS);
    throw new InvalidArgumentError('ERR_UNKNOWN_PF_KERNEL', `unknown PF kernel generation ${showValue(generation)}: expected one of ${known.join(', ')}`, {
      hint: 'ixgbevf info sim:pfkernel=6.1',
      details: { generation: showValue(generation), generations: known },
    });
  }
  return newestApiOfKnownGeneration(generation);
}
