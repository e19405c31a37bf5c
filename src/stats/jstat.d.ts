// jstat ships no type declarations: these cover the functions agentload uses (through special.ts).
declare module "jstat" {
  interface JStat {
    /** ln Γ(x) for x > 0. */
    gammaln(x: number): number;
    /** Regularized lower incomplete gamma P(a, x). */
    lowRegGamma(a: number, x: number): number;
    studentt: {
      /** Quantile of Student's t with dof degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  }
  const jStat: JStat;
  export = jStat;
}
