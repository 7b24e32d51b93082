import Decimal from 'decimal.js';

export default () => {
  const D = Decimal.clone({ precision: 50 });
  return {
    sum: new D('0.1').plus('0.2').toString(),
    e: D.exp(1).toString(),
    ln10: D.ln(10).toString(),
    pi: D.acos(-1).toString(),
    interest: new D(1000).times(new D('1.05').pow(10)).toDecimalPlaces(2).toString(),
    fraction: new D('0.75').toFraction().map(String),
  };
};
