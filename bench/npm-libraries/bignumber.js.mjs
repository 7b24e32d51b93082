import BigNumber from 'bignumber.js';

export default () => ({
  sum: new BigNumber('0.1').plus('0.2').toString(),
  power: new BigNumber(2).pow(100).toFixed(),
  third: new BigNumber(1).div(3).toFixed(30),
  root: new BigNumber(2).sqrt().toPrecision(40),
  hex: new BigNumber('255.5').toString(16),
  rounded: new BigNumber('2.345').decimalPlaces(2, BigNumber.ROUND_HALF_EVEN).toString(),
  compare: new BigNumber('1e-7').comparedTo('0.0000001'),
});
